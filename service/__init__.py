"""The lifelong-skills application. The README's "Code map" says which package holds what and
which way imports may point."""
