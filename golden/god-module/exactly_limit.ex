defmodule Golden.GodModule.ExactlyLimit do
  # ten lines with max_lines = 10: not over the limit

  def a, do: 1
  def b, do: 2
  def c, do: 3
  def d, do: 4
  def e, do: 5
  def f, do: 6
end
