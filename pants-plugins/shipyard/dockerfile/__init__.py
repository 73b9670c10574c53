"""The plain-Python Dockerfile layer (no Pants imports).

Data flows one way: `parser` (text -> `instructions`), `substitution` (Docker's variable
substitution), `dockerignore` (.dockerignore matching) and `paths` (Go path/glob rules) feed
`resolver` (instructions + context -> copied files, stages and image references, returned as the
values in `resolved`). The resolver's parts live beside it: `platforms` (platform strings and
BuildKit's platform ARGs), `context_index` (the context's files after .dockerignore) and
`stages` (the stage graph: names, `--from` lookups, mounts, cycles).
"""
