defmodule Golden.RawSend.SelfVar do
  def query(pid, sql) do
    me = self()
    Process.send(pid, {:query, me, sql}, [:noconnect])

    receive do
      {:rows, rows} -> rows
    after
      2_000 -> []
    end
  end

  def count(pid) do
    :erlang.send(pid, {:count, self()})

    receive do
      {:count, n} -> n
    after
      100 -> 0
    end
  end
end
