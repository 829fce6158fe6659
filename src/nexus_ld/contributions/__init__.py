"""Contributions: hostile-input-safe parsing, validation in context, the inbox and the maintainers' review.

Modules, one job each: ``parse`` (bytes -> triples, with limits before parsing), ``context`` (the part of
the published store a contribution touches, by SPARQL), ``rules`` (the checks beyond the shapes),
``service`` (parse + context + shapes + rules -> one report), ``inbox`` (durable SQLite store of
submissions), ``review`` (accept into ``data/contributions/``, reject with a reason).
"""
