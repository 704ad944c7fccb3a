defmodule Golden.BroadCatch.Pipes do
  def ping(name) do
    try do
      name
      |> GenServer.whereis()
      |> GenServer.call(:ping)
    catch
      _kind, _reason -> :pang
    end
  end
end
