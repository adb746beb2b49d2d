"""Pure functions from per-sample signals to trust (GMM, VRLV, IAM, AUM, DynaCor).

Filled by the method issues; nothing here yet.
"""
