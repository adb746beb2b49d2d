from .taxonomy import BUILTIN, ClassTaxonomy, build_taxonomy

__all__ = ['ClassTaxonomy', 'build_taxonomy', 'BUILTIN']
