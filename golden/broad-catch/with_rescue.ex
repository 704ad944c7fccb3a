defmodule Golden.BroadCatch.WithRescue do
  def field(server) do
    try do
      server |> GenServer.call(:state) |> Map.fetch!(:field)
    rescue
      _ -> :no_field
    catch
      _kind, _reason -> :down
    end
  end
end
