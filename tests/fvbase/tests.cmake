# tests for the finite-volume base of physics/ (DofMap, FaceIterator, FaceWeights, FluxOperator on them)
# Numbering, ghosts, index sets, exact preallocation with scalar rows, face kinds against an independent
# enumeration, weights, a two-field system with a global scalar against the exact 1-D answer, and the
# collective errors (a bad value on one rank only; the timeout catches a hang).
set(FV ${CMAKE_CURRENT_SOURCE_DIR}/fvbase)
ssb_add_gtest(NAME fvbase
              SOURCES ${FV}/DofMapTest.cpp ${FV}/FaceIteratorTest.cpp ${FV}/MultiFieldTest.cpp
                      ${FV}/FluxOperatorBaseTest.cpp
              RANKS 1 2 LIBS ssb_physics TIMEOUT 60)
