"""`policyfactory validate` of one small model as a whole process, against `import tensorflow` and a floor."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import PY, ROOT, row, summary, time_process

FLOOR = ("import yaml, pydantic\n"
         "class M(pydantic.BaseModel):\n    name: str\n    units: int\n"
         "M.model_validate(yaml.safe_load('name: a\\nunits: 3'))\n")


def main(runs=7):
    model = os.path.join(ROOT, "examples", "forecaster.yaml")
    validate = summary(time_process([PY, "-m", "policyfactory", "validate", model], runs))
    tf = summary(time_process([PY, "-c", "import tensorflow"], max(3, runs // 2)))
    floor = summary(time_process([PY, "-c", FLOOR], runs))
    bomb = summary(time_process([PY, "-m", "policyfactory", "validate",
                                 os.path.join(ROOT, "tests", "corpus", "billion_laughs.yaml")], runs))
    r1 = validate["median"] / tf["median"]
    r2 = validate["median"] / floor["median"]
    return [
        row("validate small model (process)", validate, "python -c 'import tensorflow'", tf, r1, "<= 0.10", r1 <= 0.10),
        row("validate small model (process)", validate, "floor: yaml + pydantic process", floor, r2, "<= 1.5", r2 <= 1.5),
        row("validate 271-byte alias bomb (process, exit 2)", bomb, "target 2 s", {"median": 2.0},
            bomb["median"] / 2.0, "< 2 s", bomb["median"] < 2.0),
    ]


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
