"""`make demo`: the main job of policyfactory, as a new user would see it."""

import glob
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def step(title):
    print(f"\n\033[1m== {title}\033[0m" if sys.stdout.isatty() else f"\n== {title}", flush=True)


def run(*args):
    cmd = [sys.executable, "-m", "policyfactory", *args]
    print("$ policyfactory " + " ".join(args), flush=True)
    r = subprocess.run(cmd, text=True, capture_output=True)
    out = (r.stdout + r.stderr).rstrip()
    # TensorFlow's C++ start-up lines (absl logging) are noise here.
    out = "\n".join(line for line in out.splitlines()
                    if "absl::InitializeLog" not in line and not line.startswith(("I0000", "W0000", "E0000")))
    if out:
        print(out)
    print(f"(exit {r.returncode})", flush=True)
    return r.returncode


def python(title, code):
    """Run a Python snippet as a new user would (in its own process), showing the code and its output."""
    print(f"$ python  # {title}\n" + "\n".join("    " + line for line in code.strip().splitlines()), flush=True)
    r = subprocess.run([sys.executable, "-c", code], text=True, capture_output=True)
    out = "\n".join(line for line in (r.stdout + r.stderr).rstrip().splitlines()
                    if "absl::InitializeLog" not in line and not line.startswith(("I0000", "W0000", "E0000")))
    if out:
        print(out)
    print(f"(exit {r.returncode})", flush=True)
    return r.returncode


def main():
    step("1. The shipped policies (validate needs no TensorFlow)")
    for path in sorted(glob.glob("policies/*.yaml")):
        sys.path.insert(0, ROOT)
        from policyfactory import load_policy

        p = load_policy(path)
        print(f"{p.name}: {p.description.strip() if p.description else ''}")
        print("  defaults: " + ", ".join(f"{k} {v}" for k, v in p.defaults.items()))
        for r in p.rules:
            print(f"  rule {r.id}: {r.share} sharing of {r.component}s "
                  f"(layers {', '.join(r.layers)}; roles {', '.join(r.roles)}; classes {', '.join(r.classes)}; {r.scope})")
    codes = [run("validate", *sorted(glob.glob("policies/*.yaml")))]

    step("2. Every example model, judged from the file alone")
    expected = {"examples/shared_he_normal.yaml": 1}  # the deliberate violation
    for path in sorted(glob.glob("examples/*.yaml")):
        codes.append(0 if run("validate", path) == expected.get(path, 0) else 1)

    step("3. A violation as a user sees it: one HeNormal shared by three Dense layers")
    run("validate", "examples/shared_he_normal.yaml")
    print("The same file with the initializer written inline (examples/shared_he_normal_fixed.yaml) passes above.")

    step("4. The stacked-LSTM forecaster: allowed under 'recurrent', refused under 'strict'")
    run("validate", "--policy", "strict", "examples/forecaster.yaml")
    run("explain", "examples/forecaster.yaml")

    step("5. Build it: validate, then build through the LayerFactory and save a .keras file")
    out = os.path.join(tempfile.mkdtemp(prefix="policyfactory-demo-"), "forecaster.keras")
    codes.append(run("build", "examples/forecaster.yaml", "-o", out, "--summary"))

    step("6. A picture of the sharing (SVG with Graphviz, DOT without: asking for SVG without it is an error)")
    picture = os.path.join(os.path.dirname(out), "forecaster-sharing." + ("svg" if shutil.which("dot") else "dot"))
    codes.append(run("graph", "examples/forecaster.yaml", "-o", picture))

    step("7. One verdict: the audit of the file agrees with validate and build, and names the allowed group")
    codes.append(run("audit", "examples/forecaster.yaml"))
    run("rules", "sharing-violation")

    step("8. The saved .keras file, audited as data: no TensorFlow, nothing deserialized")
    codes.append(run("audit", out))

    step("9. A broken file gets one line per problem, never a traceback")
    bad = os.path.join(os.path.dirname(out), "broken.yaml")
    with open(bad, "w") as fh:
        fh.write("kind: model\nversion: 1\ninput: {shape: [8]}\nlayers:\n"
                 "  - {type: Dense, unit: 4, kernel_initializer: he_normall}\n"
                 "  - {type: Lambda, function: 'lambda x: x'}\n")
    run("validate", bad)

    step("9. Adopt an existing model: export keras.applications.MobileNetV2 (weights=None, 32x32) to model YAML")
    folder = os.path.dirname(out)
    keras_file, exported = os.path.join(folder, "mobilenetv2.keras"), os.path.join(folder, "mobilenetv2.yaml")
    codes.append(python("save a Keras model", "import keras\n"
                        "keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3))"
                        f".save({keras_file!r})"))
    codes.append(run("export", keras_file, "-o", exported))
    with open(exported, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    print("\n".join(lines[:18]) + f"\n  ... ({len(lines)} lines in all)")
    codes.append(run("validate", exported))

    step("10. Sharing made visible: one HeNormal object in two layers of a live model becomes a shared: entry")
    tied = os.path.join(folder, "tied.yaml")
    codes.append(python("export a live model", "import keras, policyfactory as pf\n"
                        "he = keras.initializers.HeNormal()\n"
                        "model = keras.Sequential([keras.Input((16,)),\n"
                        "                          keras.layers.Dense(8, kernel_initializer=he, name='dense_a'),\n"
                        "                          keras.layers.Dense(8, kernel_initializer=he, name='dense_b')])\n"
                        "text = pf.export(model)\n"
                        f"open({tied!r}, 'w').write(text)\n"
                        "print(text)"))
    codes.append(0 if run("validate", tied) == 1 else 1)

    if any(c != 0 for c in codes):
        print("\ndemo: an example did not behave as expected", file=sys.stderr)
        return 1
    print("\ndemo finished: every shipped policy and example behaved as documented.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
