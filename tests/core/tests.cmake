# tests for core
ssb_add_gtest(NAME core_units_params SOURCES ${CMAKE_CURRENT_LIST_DIR}/UnitsParamsTest.cpp RANKS 1 LIBS ssb_core)
ssb_add_gtest(NAME core_output_files SOURCES ${CMAKE_CURRENT_LIST_DIR}/OutputFilesTest.cpp RANKS 1 LIBS ssb_core)
