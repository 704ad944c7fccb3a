defmodule Golden.GodModule.SmallLimit do
  # eleven lines with max_lines = 10

  def a, do: 1
  def b, do: 2
  def c, do: 3
  def d, do: 4
  def e, do: 5
  def f, do: 6
  def g, do: 7
end
