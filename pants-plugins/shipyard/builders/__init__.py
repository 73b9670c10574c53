"""Builders behind one interface: each builds one platform of one image into an OCI layout.

`driver.py` runs inside a Pants sandbox (standard library only) and dispatches to the builder
named in its request; the Pants rules in `util_rules/image_build.py` assemble the per-platform
layouts into one multi-platform OCI index.
"""
