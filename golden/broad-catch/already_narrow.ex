defmodule Golden.BroadCatch.AlreadyNarrow do
  def a(server) do
    GenServer.call(server, :ping)
  catch
    :exit, _ -> :down
  end

  def b(fun) do
    try do
      fun.()
    catch
      value -> {:thrown, value}
    end
  end

  def c(server) do
    try do
      GenServer.call(server, :ping)
    catch
      kind, reason when kind == :exit -> {:down, reason}
    end
  end
end
