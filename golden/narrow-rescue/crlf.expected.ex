defmodule Golden.NarrowRescue.Crlf do
  def port(config) do
    Map.fetch!(config, :port)
  rescue
    _ in KeyError -> 4000
  end
end
