# tests for mesh (generators, grid)
ssb_add_gtest(NAME mesh_generator SOURCES ${CMAKE_CURRENT_LIST_DIR}/GeneratorTest.cpp RANKS 1 2 LIBS ssb_mesh)
