# tests for mechanics
# Kernels (element, cracked stiffness, cohesive law), analytic verification (free swelling, constrained block,
# stack pressure, laminate, misfit sphere, cohesive pull and contact, effective moduli), rank independence and one
# test per bad-input rule.
set(MECH ${CMAKE_CURRENT_LIST_DIR})
ssb_add_gtest(NAME mech_kernels SOURCES ${MECH}/KernelsTest.cpp RANKS 1 LIBS ssb_physics TIMEOUT 60)
ssb_add_gtest(NAME mech_verify SOURCES ${MECH}/VerifyTest.cpp RANKS 1 2 LIBS ssb_physics TIMEOUT 300)
ssb_add_gtest(NAME mech_bad_input SOURCES ${MECH}/BadInputTest.cpp RANKS 1 LIBS ssb_physics TIMEOUT 60)
