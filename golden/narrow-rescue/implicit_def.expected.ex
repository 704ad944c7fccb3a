defmodule Golden.NarrowRescue.ImplicitDef do
  # Reads the port from a config map; a missing or malformed port is an expected error.
  def port(config) do
    config |> Map.fetch!(:port) |> String.to_integer()
  rescue
    e in [KeyError, ArgumentError] -> {:error, e}
  end
end
