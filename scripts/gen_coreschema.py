"""Write policyfactory/core/coreschema.json: the file formats' core schemas, derived from the Pydantic models.

Run it (`make coreschema`) after changing `policyfactory/core/filemodels.py`;
tests/test_coreschema.py fails until the file matches the models.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from policyfactory.core.coreschema import PATH, derive_all, dumps

if __name__ == "__main__":
    text = dumps(derive_all())
    with open(PATH, "w", encoding="utf-8") as fh:
        fh.write(text)
    print(f"wrote {PATH} ({len(text)} bytes)")
