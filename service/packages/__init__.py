"""The service side of course packages: jobs, launch grants and access rules (logic in content/)."""
