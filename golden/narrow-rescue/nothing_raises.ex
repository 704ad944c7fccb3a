defmodule Golden.NarrowRescue.NothingRaises do
  def name(map) do
    map |> Map.get(:name, "anonymous") |> String.trim()
  rescue
    _ -> "anonymous"
  end
end
