defmodule Golden.NarrowRescue.LoaderTest do
  def helper(map) do
    Map.fetch!(map, :key)
  rescue
    _ -> nil
  end
end
