defmodule Golden.BroadCatch.RaisesToo do
  def field(server) do
    server
    |> GenServer.call(:state)
    |> Map.fetch!(:field)
  catch
    _kind, _reason -> nil
  end
end
