# tests for morphology
