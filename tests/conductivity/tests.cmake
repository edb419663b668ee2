# tests for conductivity
# Analytic verification (uniform, layers, percolation, Maxwell spheres), rank independence, tolerance, fields,
# FluxOperator and one test per bad-input rule.
ssb_add_gtest(NAME conductivity_verify SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/conductivity/ConductivityTest.cpp
              RANKS 1 2 LIBS ssb_physics TIMEOUT 240)

# The conductivity benchmark driver (bench/run_conductivity_bench.sh); built with the tests, never run by ctest.
add_subdirectory(${CMAKE_SOURCE_DIR}/bench ${CMAKE_BINARY_DIR}/bench)

# Validation on the reference volumes of shared/data (TIFF via mesh/VolumeReader); 100^3 and smaller in CI.
ssb_add_gtest(NAME conductivity_reference SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/conductivity/ReferenceVolumeTest.cpp
              RANKS 1 2 LIBS ssb_physics TIMEOUT 300)
