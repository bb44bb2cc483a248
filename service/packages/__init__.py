"""Course packages for the organizations that own them: upload and versions, the catalog,
launch grants and enrollment launches, ingest jobs. Files and manifests are content/'s work."""
