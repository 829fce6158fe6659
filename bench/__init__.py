"""The benchmark (bench/run) and its parts. ``bench.generate`` makes synthetic projects:
``python -m bench.generate --size tiny --out DIR``, or ``from bench import generate`` (checkout on the path).
"""
