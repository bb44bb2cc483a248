"""Signed webhooks (Standard Webhooks): endpoints, messages, deliveries and their attempts."""
