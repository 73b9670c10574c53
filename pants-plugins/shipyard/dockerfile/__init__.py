"""The plain-Python Dockerfile layer (no Pants imports).

Data flows one way: `parser` (text -> `instructions`), `substitution` (Docker's variable
substitution), `dockerignore` (.dockerignore matching) and `paths` (Go path/glob rules) feed
`resolver` (instructions + context -> copied files, stages and image references).
"""
