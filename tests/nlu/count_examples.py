"""Count NLU examples per intent and language (Arabic script or not); check train/test overlap.

python tests/nlu/count_examples.py data/nlu tests/nlu/test_nlu.yml
"""

import re
import sys
from collections import Counter
from pathlib import Path

import yaml

_ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}")
_ARABIC = re.compile(r"[\u0600-\u06ff]")


def plain(example: str) -> str:
    return _ANNOTATION.sub(lambda m: m.group(1) or m.group(2), example).strip()


def examples(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    files = sorted(path.rglob("*.yml")) if path.is_dir() else [path]
    for file in files:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu", []):
            if "intent" in block:
                lines = [
                    line.strip()[2:]
                    for line in block["examples"].splitlines()
                    if line.strip().startswith("- ")
                ]
                found.setdefault(block["intent"], []).extend(lines)
    return found


def language(example: str) -> str:
    letters = [c for c in plain(example) if c.isalpha()]
    arabic = sum(1 for c in letters if _ARABIC.match(c))
    return "ar" if arabic * 2 >= len(letters) and arabic else "en"


def counts(found: dict[str, list[str]]) -> Counter[tuple[str, str]]:
    return Counter((intent, language(e)) for intent, items in found.items() for e in items)


def main() -> int:
    train = examples(Path(sys.argv[1]))
    test = examples(Path(sys.argv[2])) if len(sys.argv) > 2 else {}
    train_counts, test_counts = counts(train), counts(test)
    for intent in sorted(set(train) | set(test)):
        print(
            f"{intent:18} train ar {train_counts[(intent, 'ar')]:3} en "
            f"{train_counts[(intent, 'en')]:3} | test ar {test_counts[(intent, 'ar')]:3} "
            f"en {test_counts[(intent, 'en')]:3}"
        )
    seen = {plain(e).lower() for items in train.values() for e in items}
    overlap = [e for items in test.values() for e in items if plain(e).lower() in seen]
    print("test examples also in training:", len(overlap), overlap[:10])
    return 1 if overlap else 0


if __name__ == "__main__":
    sys.exit(main())
