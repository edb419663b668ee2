# tests for mesh (generators, grid)
ssb_add_gtest(NAME mesh_generator SOURCES ${CMAKE_CURRENT_LIST_DIR}/GeneratorTest.cpp RANKS 1 2 LIBS ssb_mesh)
ssb_add_gtest(NAME mesh_volume_writer SOURCES ${CMAKE_CURRENT_LIST_DIR}/VolumeWriterTest.cpp RANKS 1 2 LIBS ssb_mesh
              TIMEOUT 120)
