defmodule Golden.GodModule.TestFile.HugeTest do
  # Test files are not checked, however long.
  def a, do: 1
  def b, do: 2
  def c, do: 3
  def d, do: 4
  def e, do: 5
  def f, do: 6
  def g, do: 7
  def h, do: 8
  def i, do: 9
end
