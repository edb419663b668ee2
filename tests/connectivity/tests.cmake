# tests for connectivity
