defmodule Golden.NarrowRescue.Crlf do
  def port(config) do
    Map.fetch!(config, :port)
  rescue
    _ -> 4000
  end
end
