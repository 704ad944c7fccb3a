defmodule Golden.GodModule.SmallLimit do
  # eleven lines of code with max_lines = 10 (this comment and blank lines not counted)

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
