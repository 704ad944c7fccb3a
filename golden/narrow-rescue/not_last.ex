defmodule Golden.NarrowRescue.NotLast do
  def a(map) do
    Map.fetch!(map, :key)
  rescue
    e -> {:error, e}
    KeyError -> :unreachable
  end
end
