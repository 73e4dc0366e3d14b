import random, sys
n=int(sys.argv[1]); K=int(sys.argv[2])
random.seed(1)
al=[("A","G"),("C","T"),("A","C"),("G","T")]
pos=[]; p=1000
alle=[]
for i in range(n):
    p+=random.randint(1,300); pos.append(p); alle.append(al[i%4])
for c in range(K):
    with open(f"c{c}.txt","w") as f:
        f.write("CHR SNP BP A1 A2 BETA SE P NMISS\n")
        rnd=random.random; g=random.gauss
        out=[]
        for i in range(n):
            a1,a2=alle[i]
            if rnd()<0.3: a1,a2=a2,a1
            se=0.01+0.02*rnd(); b=g(0,se)
            out.append(f"1 rs{i} {pos[i]} {a1} {a2} {b:.5f} {se:.5f} 0.5 5000\n")
            if len(out)>100000: f.write("".join(out)); out=[]
        f.write("".join(out))
