"""Implementations, right and wrong, that the invariants must tell apart.

Importable as ``tests.zoo.clippers`` and ``tests.zoo.nets`` from the
repository's root, so that, from there, ``gradclip verify clip
tests.zoo.clippers:no_sqrt`` and ``pytest properties
--clip-impl=tests.zoo.clippers:no_sqrt`` show the suite catching a bug.
"""
