defmodule Golden.BroadCatch.ImplicitDef do
  def lookup(server, key) do
    GenServer.call(server, {:get, key}, 1_000)
  catch
    :exit, _reason -> nil
  end
end
