defmodule Golden.BroadCatch.CacheTest do
  def helper(server) do
    GenServer.call(server, :ping)
  catch
    _, _ -> nil
  end
end
