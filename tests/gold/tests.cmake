# Gold-file regression (tests/gold/*.yaml specs + *.gold.json values from reviewed runs; docs/testing.md).
add_library(ssb_gold STATIC ${CMAKE_CURRENT_LIST_DIR}/GoldCompare.cpp)
target_link_libraries(ssb_gold PUBLIC ssb_core)
add_executable(ssb_gold_compare ${CMAKE_CURRENT_LIST_DIR}/main.cpp)
target_link_libraries(ssb_gold_compare PRIVATE ssb_gold)
ssb_add_gtest(NAME gold_tool SOURCES ${CMAKE_CURRENT_LIST_DIR}/GoldToolTest.cpp RANKS 1 LIBS ssb_gold)
