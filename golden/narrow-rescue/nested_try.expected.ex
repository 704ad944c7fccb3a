defmodule Golden.NarrowRescue.NestedTry do
  def settings(map) do
    try do
      limit =
        try do
          map |> Map.fetch!(:limit) |> String.to_integer()
        rescue
          _ in [KeyError, ArgumentError] -> 10
        end

      {limit, Map.fetch!(map, :name)}
    rescue
      _ in KeyError -> :error
    end
  end
end
