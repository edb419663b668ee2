# tests for conductivity
