defmodule Golden.NarrowRescue.AlreadyNarrow do
  def a(map) do
    Map.fetch!(map, :key)
  rescue
    e in KeyError -> {:error, e}
  end

  def b(text) do
    try do
      String.to_integer(text)
    rescue
      ArgumentError -> :error
    end
  end

  def c(text) do
    try do
      text |> String.to_integer() |> Integer.mod(0)
    rescue
      e in [ArgumentError, ArithmeticError] -> {:error, e}
    end
  end
end
