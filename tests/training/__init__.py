"""Tests for the pure training-domain rules (service/training)."""
