defmodule Golden.NarrowRescue.AliasShadow do
  alias Golden.NarrowRescue.KeyError

  def a(map) do
    Map.fetch!(map, :key)
  rescue
    _ -> KeyError.default()
  end
end
