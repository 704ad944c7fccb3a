defmodule Golden.RawSend.Fallback do
  def notify(server, event) do
    try do
      GenServer.call(server, {:notify, event})
    rescue
      _ -> send(server, {:notify, event})
    catch
      :exit, _ ->
        send(server, {:notify, event})
        :ok
    end
  end

  def store(server, item) do
    :ok = GenServer.call(server, {:store, item}, 1_000)
  catch
    :exit, {:timeout, _} -> send(server, {:store_async, item})
  end

  def retry(server, item) do
    GenServer.call(server, {:store, item})
  rescue
    # scheduling a retry in this process is not a fallback delivery
    _ -> send(self(), {:retry, item})
  end
end

defmodule Golden.RawSend.Fallback.SameMessage do
  def push(name, pid, event) do
    GenServer.call(name, {:push, event})
  catch
    :exit, _ -> send(pid, {:push, event})
  end
end
