"""Course side of KommunalCampus-Assistent: catalog, embeddings, index and search service."""
