"""The dialogue checks `make test` runs with the Rasa environment.

1. The NLU data keeps its promises: ≥ 40 training examples per intent per language, ≥ 25
   held-out test examples per intent per language, no test example in the training data, and
   data/nlu/lookups.yml in step with catalogue.yml.
2. `rasa data validate --fail-on-warnings`.
3. `rasa train` into models/balagh.tar.gz, skipped when nothing it depends on changed.
4. `rasa test nlu` on tests/nlu/test_nlu.yml (report under results/nlu): intent macro-F1 ≥ 0.95
   and `category` entity F1 ≥ 0.9.
5. `rasa test core` on tests/conversations with --fail-on-prediction-errors (results/core).
6. pytest on tests/rasa_env: the code that runs inside the Rasa process (nlu_components/).

    python tests/rasa_checks.py [--skip-train | --train-only]

`BALAGH_RASA_BIN` names the rasa executable (default .venv-rasa/bin/rasa). Exit status 0 when
everything passes; the last line printed is a JSON summary.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.nlu.count_examples import counts, examples, plain  # noqa: E402

RASA = os.environ.get("BALAGH_RASA_BIN", str(ROOT / ".venv-rasa" / "bin" / "rasa"))
MODEL = ROOT / "models" / "balagh.tar.gz"
FINGERPRINT = ROOT / "models" / "balagh.fingerprint"
NLU_TEST = ROOT / "tests" / "nlu" / "test_nlu.yml"
CONVERSATIONS = ROOT / "tests" / "conversations"
RASA_ENV_TESTS = ROOT / "tests" / "rasa_env"
RESULTS = ROOT / "results"
MIN_TRAIN, MIN_TEST = 40, 25
INTENT_F1, CATEGORY_F1 = 0.95, 0.90
LANGUAGES = ("ar", "en")
# the intents the NLU contract names; nlu_fallback is produced by the FallbackClassifier
CORE_INTENTS = (
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "report_complaint",
    "check_status",
    "ask_programs",
    "ask_services",
    "talk_to_agent",
    "choose_language",
    "inform",
    "out_of_scope",
    "ask_transaction",
)
MODEL_INPUTS = (
    "config.yml",
    "domain.yml",
    "data",
    "nlu_components",
    "bot/arabic.py",
    "bot/digits.py",
    "bot/languages.py",
)


# the repository's components importable; no telemetry sent to Rasa (on by default)
RASA_ENV = {"PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"}


def run(*args: str) -> float:
    """Run a rasa command from the repository root; fail loudly; return its duration."""
    env = {**os.environ, **RASA_ENV, "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    started = time.monotonic()
    print("$ rasa", " ".join(args), flush=True)
    completed = subprocess.run([RASA, *args], cwd=ROOT, env=env, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"rasa {args[0]} failed with exit status {completed.returncode}")
    return round(time.monotonic() - started, 1)


def rasa_env_tests() -> float:
    """pytest with the Rasa environment's Python on tests/rasa_env; fail loudly."""
    python = Path(RASA).parent / "python"
    env = {**os.environ, **RASA_ENV}
    started = time.monotonic()
    command = [str(python), "-m", "pytest", "-q", "-c", str(RASA_ENV_TESTS / "pytest.ini")]
    print("$", " ".join(command), flush=True)
    if subprocess.run([*command, str(RASA_ENV_TESTS)], cwd=ROOT, env=env, check=False).returncode:
        raise SystemExit("tests/rasa_env failed")
    return round(time.monotonic() - started, 1)


def check_data() -> list[str]:
    problems = []
    train = examples(ROOT / "data" / "nlu")
    test = examples(NLU_TEST)
    train_counts, test_counts = counts(train), counts(test)
    for intent in CORE_INTENTS:
        for lang in LANGUAGES:
            if train_counts[(intent, lang)] < MIN_TRAIN:
                found = train_counts[(intent, lang)]
                problems.append(f"{intent}/{lang}: {found} training examples < {MIN_TRAIN}")
            if test_counts[(intent, lang)] < MIN_TEST:
                problems.append(
                    f"{intent}/{lang}: {test_counts[(intent, lang)]} test examples < {MIN_TEST}"
                )
    seen = {plain(e).lower() for items in train.values() for e in items}
    problems += [
        f"test example also in training data: {e!r}"
        for items in test.values()
        for e in items
        if plain(e).lower() in seen
    ]
    lookups = subprocess.run(
        [sys.executable, "-m", "nlu_components.lookups", "--check"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
        capture_output=True,
        text=True,
    )
    if lookups.returncode != 0:
        problems.append(lookups.stdout.strip() or lookups.stderr.strip())
    return problems


def fingerprint() -> str:
    digest = hashlib.sha256()
    for name in MODEL_INPUTS:
        path = ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if "__pycache__" in file.parts:
                continue
            digest.update(str(file.relative_to(ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def train(skip: bool) -> float | None:
    current = fingerprint()
    if MODEL.exists() and (skip or (FINGERPRINT.exists() and FINGERPRINT.read_text() == current)):
        print("model up to date: models/balagh.tar.gz", flush=True)
        return None
    seconds = run("train", "--fixed-model-name", "balagh", "--out", "models")
    FINGERPRINT.write_text(current)
    return seconds


def nlu_scores() -> dict[str, float]:
    report = json.loads((RESULTS / "nlu" / "intent_report.json").read_text())
    scores = {"intent_macro_f1": round(report["macro avg"]["f1-score"], 4)}
    for name in ("category", "district", "reference", "language"):
        best = 0.0
        for file in (RESULTS / "nlu").glob("*_report.json"):
            if file.name == "intent_report.json":
                continue
            entry = json.loads(file.read_text()).get(name)
            if isinstance(entry, dict):
                best = max(best, float(entry.get("f1-score", 0.0)))
        scores[f"{name}_f1"] = round(best, 4)
    return scores


def main() -> int:
    skip_train = "--skip-train" in sys.argv
    if "--train-only" in sys.argv:
        seconds = train(skip=False)
        print(json.dumps({"train_s": seconds, "model": str(MODEL.relative_to(ROOT))}))
        return 0
    problems = check_data()
    if problems:
        print("\n".join(problems))
        return 1
    timings: dict[str, float | None] = {}
    timings["validate_s"] = run("data", "validate", "--fail-on-warnings")
    timings["train_s"] = train(skip_train)
    if "--train-only" in sys.argv:  # `make run`: a current model is all it needs
        return 0
    shutil.rmtree(RESULTS / "nlu", ignore_errors=True)
    shutil.rmtree(RESULTS / "core", ignore_errors=True)
    timings["test_nlu_s"] = run(
        "test", "nlu", "-m", str(MODEL), "--nlu", str(NLU_TEST), "--out", str(RESULTS / "nlu")
    )
    scores = nlu_scores()
    (RESULTS / "nlu" / "summary.json").write_text(json.dumps(scores, indent=2))
    timings["test_core_s"] = run(
        "test",
        "core",
        "-m",
        str(MODEL),
        "--stories",
        str(CONVERSATIONS),
        "--out",
        str(RESULTS / "core"),
        "--fail-on-prediction-errors",
    )
    timings["test_rasa_env_s"] = rasa_env_tests()
    failures = []
    if scores["intent_macro_f1"] < INTENT_F1:
        failures.append(f"intent macro-F1 {scores['intent_macro_f1']} < {INTENT_F1}")
    if scores["category_f1"] < CATEGORY_F1:
        failures.append(f"category entity F1 {scores['category_f1']} < {CATEGORY_F1}")
    print("\n".join(failures))
    print(json.dumps({**scores, **timings, "passed": not failures}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
