defmodule Golden.GodModule.Nested do
  # The outer module has 8 lines of its own; the nested modules are measured alone.
  defmodule Small do
    def a, do: 1
  end

  defmodule Big do
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

  defprotocol Shape do
    def area(shape)
  end

  defimpl Shape, for: Map do
    def area(map), do: map.w * map.h
  end

  def outer, do: :ok
end
