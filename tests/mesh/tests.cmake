# tests for mesh
