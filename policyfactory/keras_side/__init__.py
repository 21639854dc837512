"""The Keras side: components and seeds, the factory, model building, audit.

Everything here imports Keras 3 (`import keras`, never `tf.keras`); the core
never imports from here.
"""

import os

# TensorFlow's C++ start-up chatter is noise for a command-line tool; users can still set it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
