defmodule Golden.BroadCatch.Pipes do
  def ping(name) do
    try do
      name
      |> GenServer.whereis()
      |> GenServer.call(:ping)
    catch
      :exit, _reason -> :pang
    end
  end
end
