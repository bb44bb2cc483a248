"""Placeholder: filled in by the LRS work."""

from fastapi import APIRouter

router = APIRouter()
